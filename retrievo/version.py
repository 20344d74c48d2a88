"""retrievo's version, in a module of its own so that code the package imports at start-up (the data
directory writes it into every manifest) can read it without importing the package itself."""

__version__ = "0.1.0"
