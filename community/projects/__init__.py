"""民生小实事 projects, online 协商议事, and the 三项清单 (see docs/projects.md)."""


def init_projects(app):
    from . import listviews, public, ruleviews  # noqa: F401  (their routes live on the blueprint)
    from .views import bp

    app.register_blueprint(bp)
