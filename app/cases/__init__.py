"""Persons and their case files."""
