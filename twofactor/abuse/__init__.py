"""The abuse policy: limits counted in the database, and the numbers they use."""
