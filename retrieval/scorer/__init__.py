"""The fine-tuned scorer: a learned ranking of (user profile, item) pairs."""
