"""python -m incident_roles.corpus {check,build} ...: see incident_roles.corpus.reports."""
import sys

from incident_roles.corpus.reports import main

sys.exit(main())
