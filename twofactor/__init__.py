"""Phone two-factor sign-in: a Flask blueprint and the pieces it is made of."""
