"""Published results (评价结果公开): figures by area with their formulas, no personal data."""
