"""Hotspots (recurring requests) and acting before the call: 主动治理 tasks and 每月一题."""


def init_hotspots(app):
    from .views import bp

    app.register_blueprint(bp)
