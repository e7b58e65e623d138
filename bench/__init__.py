"""`mosface bench` and the benchmark tools (`python -m mosface.bench.postprocess`, `.macs`,
`.readme_table`, `.arm.instructions`); needs the convert and bench extras.

Installed from the checkout's bench/ folder beside the runtime, which never imports it.
"""
