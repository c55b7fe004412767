"""A web worker starts without the libraries only some requests or commands need.

Each adds megabytes to every worker (bench/load.py prints the RSS): they load when first used.
"""
import json
import subprocess
import sys
from pathlib import Path

LOADED_ON_FIRST_USE = ("alembic", "flask_migrate", "webauthn", "cryptography", "twilio",
                       "telnyx", "pyotp", "segno", "requests")

WORKER = """
import json, secrets, sys
from app import create_app
create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": secrets.token_hex(32),
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "0" * 32,
            "TWILIO_FROM_NUMBER": "+12015550100", "PUBLIC_URL": "https://2fa.example.com"})
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_production_worker_starts_without_the_libraries_of_rare_requests():
    # A fresh interpreter, as gunicorn's worker is: this test process has imported everything.
    out = subprocess.run([sys.executable, "-c", WORKER], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent).stdout
    loaded = set(json.loads(out))
    assert "flask" in loaded and "sqlalchemy" in loaded  # the app really was built
    assert loaded.isdisjoint(LOADED_ON_FIRST_USE), loaded & set(LOADED_ON_FIRST_USE)
