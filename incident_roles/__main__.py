"""python -m incident_roles {extract,batch,export-onnx,...}: see incident_roles.serving.cli."""
import sys

from incident_roles.serving.cli import main

if __name__ == "__main__":
    sys.exit(main())
