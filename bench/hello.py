"""The bare Flask app the measuring script compares every page with (same gunicorn)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
