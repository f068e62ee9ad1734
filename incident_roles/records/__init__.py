"""Incident records built from tagged spans: victim counts, states, responses, builder, schema, HTML view."""
