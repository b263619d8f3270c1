"""Network device configurations: per-device variables, rendering, review reports.

`context` turns the inventory and the IP plan into the variables of one device,
`render` feeds them to the platform's Jinja2 templates (`network_configs/templates/`),
`review` compares the rendered files of two git revisions for a pull request.
"""
