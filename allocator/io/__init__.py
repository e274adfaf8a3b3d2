"""Reading inputs with clear errors, and writing outputs atomically.

Import from the module that holds what you need:

- :mod:`allocator.io.errors`: :class:`InputError`, one located line per
  problem (``FILE: FIELD_PATH: what is wrong``), and field paths.
- :mod:`allocator.io.load`: :func:`load_scenario` (YAML, JSON or Excel),
  :func:`load_plan`, :func:`load_plan_and_objective`,
  :func:`load_yaml_or_json`.
- :mod:`allocator.io.yaml_source`: YAML with line numbers, libyaml's fast
  path and duplicate keys.
- :mod:`allocator.io.messages`: pydantic's errors as located messages
  (:func:`validate_data`).
- :mod:`allocator.io.dump`: :func:`scenario_to_yaml`, :func:`dump_scenario`,
  :func:`result_to_json`.
- :mod:`allocator.io.write`: :func:`write_file`, the one atomic writer that
  every output goes through.
- :mod:`allocator.io.cells`: :func:`spreadsheet_text`, user text in CSV
  files and workbook cells that no spreadsheet runs as a formula.
- :mod:`allocator.io.outputs`: :func:`write_outputs`, every output file of a
  solve (workbook, report, letters, activities, JSON) into one directory.

This package re-exports nothing: :mod:`allocator.excel` uses its errors and
its writer, and :mod:`allocator.io.load` uses the Excel reader, so importing
the loader here would make the two packages import each other.
"""
