"""Packaging: one import root, ``grounded``. The stage folders stay at the top of the repository (the product's
design card) and install as subpackages: ``ingest/`` -> ``grounded.ingest`` and so on. pyproject.toml cannot
express a mapped layout with discovered subpackages, hence this file; everything else lives in pyproject.toml."""

from setuptools import find_packages, setup

STAGES = ("ingest", "retrieval", "api", "evals")

packages = find_packages(include=["grounded", "grounded.*"])
package_dir = {"grounded": "grounded"}
for stage in STAGES:
    package_dir[f"grounded.{stage}"] = stage
    packages += [f"grounded.{stage}"] + [f"grounded.{stage}.{sub}" for sub in find_packages(stage)]

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={
        "grounded.retrieval": ["prompts/*.txt", "prompts/*.md"],
        "grounded.api": ["static/**/*"],
    },
)
