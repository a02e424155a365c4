"""The partner portal: a FastAPI app (server-rendered pages and ``/api/v1``) over the task layer.

Faces only: routers parse requests and call task functions; every route's access is decided in
one place, :func:`vrkit.web.authz.authorize`, from the policy in :mod:`vrkit.ops.roles`.
"""
