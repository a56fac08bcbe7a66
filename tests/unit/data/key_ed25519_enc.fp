256 SHA256:y8mz/YJh9VBnyP8Qgx/ZSps4ywqqkaHK6pN2u5ruKas encrypted (ED25519)
