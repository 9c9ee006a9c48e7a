"""The baseline for filing throughput: a bare Flask endpoint doing one INSERT.

Same stack as the platform (gunicorn, Flask, SQLAlchemy's pool, psycopg 3,
PostgreSQL): `gunicorn bench.apps.bare_app:app` with DATABASE_URL set. The table
bench_bare is made by bench/run.py before the run and dropped after it.
"""
import os
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = []  # made on first use: importing this module (for CREATE) needs no database
INSERT = text("INSERT INTO bench_bare (kind, category, body, community, created_at) "
              "VALUES (:kind, :category, :body, :community, :at) RETURNING id")


@app.post("/file")
def file():
    data = request.get_json(force=True)
    if not _engine:
        _engine.append(create_engine(
            os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)))
    with _engine[0].begin() as conn:
        new_id = conn.execute(INSERT, {"kind": data["kind"], "category": data["category"],
                                       "body": data["text"], "community": data.get("community", ""),
                                       "at": datetime.now(timezone.utc)}).scalar()
    return jsonify(id=new_id), 201


CREATE = ("CREATE TABLE IF NOT EXISTS bench_bare (id serial PRIMARY KEY, kind text NOT NULL, "
          "category text NOT NULL, body text NOT NULL, community text NOT NULL, "
          "created_at timestamptz NOT NULL)")
