384 SHA256:psnX4dPmQrsdvL/jlVlcYYqBCgWiPjwXn7/abXecwUU test ecdsa384 (ECDSA)
