"""综合评价: call-backs, indicators with published formulas, scores and grades, issued assessments."""
