"""满意度调查全覆盖 (DOMAIN.md "好差评"): a county's survey, run by every community of
the county, answered once per resident; results per community and street with the
figures' sample rule and Wilson intervals, coverage for the county, aggregates on /public."""


def init_surveys(app):
    from .views import bp
    from .answer_views import bp as answer_bp

    app.register_blueprint(bp)
    app.register_blueprint(answer_bp)
