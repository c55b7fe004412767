"""The baseline: a bare Flask route that reads the session and renders a small template."""
import os

from flask import Flask, redirect, render_template, session

app = Flask(__name__)
app.secret_key = os.environ["BENCH_SECRET_KEY"]


@app.get("/")
def hello():
    """Read the session and render the page: the least any page of the app does."""
    return render_template("bare.html", name=session.get("name", "stranger"))


@app.get("/start")
def start():
    """Put a name in the session, so the measured route has a cookie to read."""
    session["name"] = "bench"
    return redirect("/")
