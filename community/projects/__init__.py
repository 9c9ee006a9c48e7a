"""民生小实事 projects, online 协商议事, and the 三项清单 (see docs/projects.md)."""


def init_projects(app):
    from . import listviews, notices, public, ruleviews  # noqa: F401  (their routes live on the blueprint)
    from .views import bp

    notices.install()
    from community.sla import recompute

    from . import rectify

    recompute.register(rectify.recompute_due)  # its 整改 deadlines follow the holiday calendar
    app.register_blueprint(bp)
