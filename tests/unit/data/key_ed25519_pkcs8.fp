256 SHA256:NWkRnkgshp15L/f1uk/OjOtXfRkf8LDxBAoxF8VbRMw no comment (ED25519)
