"""The sign-in flow: collect (forms), generate and send (codes), compare, and sessions."""
