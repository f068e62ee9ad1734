"""python -m incident_roles {extract,batch,export-onnx,...}: see incident_roles.serving.cli."""
import sys

from incident_roles.serving.cli import main

sys.exit(main())
