"""Second factors besides the phone: authenticator apps, backup codes, security keys."""
