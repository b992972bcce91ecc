"""The dependency arrow: validator never imports Flask, OpenCV or the emulator."""

import subprocess
import sys


def test_validator_imports_without_flask_opencv_or_emulator() -> None:
    code = (
        "import sys\n"
        "for name in ('flask', 'cv2', 'emulator', 'werkzeug', 'granian'):\n"
        "    sys.modules[name] = None\n"
        "import validator, validator.types, validator.report, validator.messages\n"
        "import pkgutil, importlib\n"
        "for mod in pkgutil.iter_modules(validator.__path__):\n"
        "    if mod.name != 'strategies':\n"
        "        importlib.import_module('validator.' + mod.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
