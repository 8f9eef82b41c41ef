"""Flavors: one module per ML library, each saving and loading that library's models.

Every flavor module has ``save_model(model, path, ...)``, ``load_model(path)`` (the native
object) and ``_load_pyfunc(path)`` (the object behind ``python_function``). Flavor modules
import their library inside functions, so importing one costs nothing until it is used.
"""
