"""Web helpers shared by the blueprints: access rules, input rules, answers, errors, security headers, page maps."""
