"""``sitecustomize`` for Python processes started by a command in the Velox sandbox (the
user's test command). Copied into the stage's boot directory, which is on PYTHONPATH.
Installs the fallback guards the launcher asked for and, when asked, the call recorder."""

import os

try:
    import velox_runtime

    velox_runtime.apply_guards_from_env()
except Exception:  # never break the user's interpreter start-up
    pass

if os.environ.get("VELOX_RECORD_TARGET"):
    try:
        import velox_recorder

        velox_recorder.install()
    except Exception:
        pass
