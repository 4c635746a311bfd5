"""Operations on a deployment (backups), apart from the domain in ``geo/`` and from Flask."""
