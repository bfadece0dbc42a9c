"""The synthetic population generator: persons with valid personal codes, Latvian names and
declared addresses in the 43 municipalities, and the register extracts about them (disability,
aids, providers, unemployment, insurance, services, benefits, requests, out-of-family care), for
demonstrations and benchmarks of the open-data statistics (docs/population.md)."""
from .generator import GENERATOR, InvalidParameters, generate

__all__ = ["GENERATOR", "InvalidParameters", "generate"]
