"""Figures: daily rollups of counts per unit, the published formulas, dashboards, exports."""
