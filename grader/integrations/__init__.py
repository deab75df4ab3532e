"""What plugs the grader into other tools (a Dask cluster, pytest). The core never imports this
package; it may import any of the others.
"""
