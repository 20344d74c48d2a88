"""Java's ``Float.toString`` for explanation descriptions (see :mod:`retrievo.java_text`)."""

from retrievo.java_text import java_float_str as java_float

__all__ = ["java_float"]
