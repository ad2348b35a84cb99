#!/usr/bin/env python3
"""Write the ONNX models of the external-data tests (tests/Ipg.Onnx.Tests/Fixtures/external/).

Needs only the `onnx` Python package (Debian: python3-onnx). Run from anywhere:

    /usr/bin/python3 tests/Ipg.Onnx.Tests/Fixtures/external/make_external.py

Each model is ../broken/mini.onnx (the contract's tiny hand-checkable model) with its item table `table` (6 x 4
floats, 96 bytes) moved out of the file into external data (ONNX `data_location = EXTERNAL`) at a location the
file name says:

    mini-external-local.onnx       "mini-table.bin"                  (beside the model: allowed)
    mini-external-absolute.onnx    "/tmp/ipg-external-data-test/mini-table.bin"
    mini-external-parent.onnx      "../mini-table.bin"               (leaves the model's folder)
    mini-external-nested.onnx      "sub/../../mini-table.bin"        (leaves it through a subfolder)

and mini-table.bin is the table's raw bytes. The tests copy the model and the table to where the location points, so
that a refusal is the location's fault, not a missing file. tiny-external.onnx is ../sasrec-tiny.onnx with its
largest initializer in tiny-external.bin (beside it): a SASRec that ONNX Runtime runs but the managed kernel
(which reads embedded data only) refuses.
"""

import os

import onnx
from onnx import numpy_helper
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

MINI_LOCATIONS = {
    "local": "mini-table.bin",
    "absolute": "/tmp/ipg-external-data-test/mini-table.bin",
    "parent": "../mini-table.bin",
    "nested": "sub/../../mini-table.bin",
}


def externalise(model, name, location):
    """Moves initializer `name` to external data at `location`; returns its raw bytes."""
    tensor = next(t for t in model.graph.initializer if t.name == name)
    raw = numpy_helper.to_array(tensor).tobytes()
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", "0"), ("length", str(len(raw)))):
        entry = tensor.external_data.add()
        entry.key = key
        entry.value = value
    return raw


def main():
    for kind, location in MINI_LOCATIONS.items():
        model = onnx.load(os.path.join(FIXTURES, "broken", "mini.onnx"))
        raw = externalise(model, "table", location)
        model.metadata_props.append(onnx.StringStringEntryProto(key="ipg.test_external_location", value=location))
        onnx.save(model, os.path.join(HERE, f"mini-external-{kind}.onnx"))
    with open(os.path.join(HERE, "mini-table.bin"), "wb") as f:
        f.write(raw)

    tiny = onnx.load(os.path.join(FIXTURES, "sasrec-tiny.onnx"))
    largest = max(tiny.graph.initializer, key=lambda t: len(t.raw_data) or 4 * len(t.float_data))
    raw = externalise(tiny, largest.name, "tiny-external.bin")
    onnx.save(tiny, os.path.join(HERE, "tiny-external.onnx"))
    with open(os.path.join(HERE, "tiny-external.bin"), "wb") as f:
        f.write(raw)
    print(f"tiny-external.onnx: {largest.name} ({len(raw)} bytes) in tiny-external.bin")


if __name__ == "__main__":
    main()
