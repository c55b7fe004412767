"""The signed-in person's pages: the security page, step-up, and password recovery."""
