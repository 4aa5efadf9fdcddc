"""Interactive 3D explainer of the thoracic spine (PyVista scene + Panel app).

Notebook use::

    import panel as pn
    pn.extension("vtk")
    from viewer.app import SpineViewer
    SpineViewer()            # the full app in a cell

    from viewer.scene import Scene   # plain PyVista, no Panel
"""
