"""``ember.fork`` / ``ember.wait`` and ``Future``: eager Python runs the forked call at once, as
torch does outside TorchScript, so a Future here is always complete."""

from __future__ import annotations

__all__ = ["Future", "fork", "wait", "classproperty"]


class Future:
    """A completed (or completable) result: ``wait()``, ``value()``, ``done()``, ``then(fn)``."""

    def __init__(self):
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []

    def set_result(self, result) -> None:
        if self._done:
            raise RuntimeError("Future can only be marked completed once.")
        self._value, self._done = result, True
        for cb in self._callbacks:
            cb(self)

    def set_exception(self, error: BaseException) -> None:
        self._error, self._done = error, True

    def done(self) -> bool:
        return self._done

    def wait(self):
        if self._error is not None:
            raise self._error
        return self._value

    value = wait

    def then(self, callback) -> Future:
        nxt = Future()

        def run(fut):
            try:
                nxt.set_result(callback(fut))
            except Exception as e:  # noqa: BLE001 - carried into the chained future
                nxt.set_exception(e)

        if self._done:
            run(self)
        else:
            self._callbacks.append(run)
        return nxt

    def add_done_callback(self, callback) -> None:
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)


def fork(func, *args, **kwargs) -> Future:
    """Run ``func(*args, **kwargs)``; its result is in the returned Future."""
    fut = Future()
    fut.set_result(func(*args, **kwargs))
    return fut


def wait(future: Future):
    """The value of a Future from ``fork``."""
    return future.wait()


class _ClassProperty:
    def __init__(self, fget):
        self.fget = fget

    def __get__(self, instance, owner=None):
        if owner is None:
            owner = type(instance)
        return self.fget.__get__(instance, owner)()


def classproperty(func):
    """A read-only property of the class itself (as ``torch.classproperty``)."""
    if not isinstance(func, (classmethod, staticmethod)):
        func = classmethod(func)
    return _ClassProperty(func)
