"""The robustness corpus: generators of hostile and unlucky inputs (archives, journals, configs,
keymaps, outputs), one case per class of issue 18, used by the tests/test_hostile_*.py files.

Each module builds real files (gzip part files in the archive layout, journal files in a store folder,
config and keymap TOML) from named cases, so that a failing case names what broke."""
