"""A small warehouse: items in stock and orders that take them out."""
