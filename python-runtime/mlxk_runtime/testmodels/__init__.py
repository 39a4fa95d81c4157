"""Builder of the tiny trained test models in test/fixtures/models (see scripts/build-test-models.sh)."""
