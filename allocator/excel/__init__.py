"""Excel input template, Excel reader and result workbook.

Planners work in Excel, so a scenario can be kept in a workbook and a result
can be handed back as one. Import from the module that holds what you need:

- :mod:`allocator.excel.fields`: the input workbook's layout (sheets,
  columns, Danish headers, how cells are written), shared by the template
  and the reader; its docstring lists the conventions.
- :mod:`allocator.excel.template`: :func:`write_template` and the
  :func:`example_scenario` it fills in by default.
- :mod:`allocator.excel.read`: :func:`read_workbook`, every problem named by
  file, sheet, Excel row and column.
- :mod:`allocator.excel.result`: :func:`write_result_workbook`.
- :mod:`allocator.excel.sheets`: writing the two header rows and the data
  of a sheet, for the template and the result workbook.

The Danish names of codes (sources, budget categories...) come from
:mod:`allocator.labels`. The reader raises
:class:`allocator.io.errors.InputError`; workbooks are saved through
:func:`allocator.io.write.write_file`. :mod:`allocator.io.load` uses the
reader for ``.xlsx`` scenarios; nothing here imports the loader.
"""
