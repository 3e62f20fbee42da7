"""Small text helpers: words, slugs and wrapping."""
