/**
 * The part of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) an exported detector
 * needs, as a protobufjs reflection descriptor, with a small graph builder on top. Field numbers are
 * those of onnx.proto; only the fields we write are declared (a reader skips nothing it needs).
 */
import protobuf from 'protobufjs';

const DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            type: { type: 'int32', id: 20 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, docString: { type: 'string', id: 3 } } },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            doubleData: { rule: 'repeated', type: 'double', id: 10 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
          nested: { Dimension: { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } }, fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } } },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);
const ModelProto = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An attribute value, tagged with its ONNX type (a JS number does not say float or int). */
export type Attr =
  | { float: number }
  | { int: number }
  | { string: string }
  | { floats: ArrayLike<number> }
  | { ints: ArrayLike<number> }
  | { strings: readonly string[] };

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function attribute(name: string, a: Attr): Record<string, unknown> {
  if ('float' in a) return { name, type: AT.FLOAT, f: a.float };
  if ('int' in a) return { name, type: AT.INT, i: a.int };
  if ('string' in a) return { name, type: AT.STRING, s: utf8(a.string) };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: Array.from(a.floats) };
  if ('ints' in a) return { name, type: AT.INTS, ints: Array.from(a.ints) };
  return { name, type: AT.STRINGS, strings: a.strings.map(utf8) };
}

export const ML_DOMAIN = 'ai.onnx.ml';

/**
 * Builds one graph: initializers (constants) and nodes in order; every node gets fresh output names.
 * Opsets: the default domain at version 15 and ai.onnx.ml at version 3.
 */
export class OnnxGraph {
  private readonly nodes: Record<string, unknown>[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private counter = 0;

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** A float tensor constant; returns its name. */
  constant(values: ArrayLike<number>, dims: readonly number[], prefix = 'const'): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType: DT.FLOAT, floatData: Array.from(values) });
    return name;
  }

  /** A double tensor constant (values kept exactly); returns its name. */
  doubleConstant(values: ArrayLike<number>, dims: readonly number[]): string {
    const name = this.fresh('f64');
    this.initializers.push({ name, dims: [...dims], dataType: DT.DOUBLE, doubleData: Array.from(values) });
    return name;
  }

  /** An int64 tensor constant (shapes, axes); returns its name. */
  int64Constant(values: readonly number[], dims: readonly number[]): string {
    const name = this.fresh('i64');
    this.initializers.push({ name, dims: [...dims], dataType: DT.INT64, int64Data: [...values] });
    return name;
  }

  /** A scalar float constant. */
  scalar(v: number): string {
    return this.constant([v], [], 'scalar');
  }

  /** Adds a node; returns its first output's name (and the others in `outputs`). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, opts: { domain?: string; outputs?: number } = {}): string {
    const outputs = Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      name: this.fresh(`n_${opType}`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(opts.domain ? { domain: opts.domain } : {}),
    });
    return outputs[0]!;
  }

  /** Renames a node output to a graph output name (an Identity node). */
  output(from: string, name: string): void {
    this.nodes.push({ opType: 'Identity', name: this.fresh('n_Identity'), input: [from], output: [name], attribute: [] });
  }

  /**
   * The serialised model: one float input [N, nCols], the given outputs (shape [N]), metadata as
   * string properties.
   */
  encode(spec: { input: string; nCols: number; outputs: { name: string; elemType: number }[]; docString: string; producerVersion: string; metadata: Record<string, string> }): Uint8Array {
    const tensorType = (elemType: number, dims: ({ dimParam: string } | { dimValue: number })[]): Record<string, unknown> => ({ tensorType: { elemType, shape: { dim: dims } } });
    const model = {
      irVersion: 8,
      producerName: 'cyrange',
      producerVersion: spec.producerVersion,
      docString: spec.docString,
      opsetImport: [
        { domain: '', version: 15 },
        { domain: ML_DOMAIN, version: 3 },
      ],
      metadataProps: Object.entries(spec.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: 'cyrange_detector',
        node: this.nodes,
        initializer: this.initializers,
        input: [{ name: spec.input, type: tensorType(DT.FLOAT, [{ dimParam: 'N' }, { dimValue: spec.nCols }]) }],
        output: spec.outputs.map((o) => ({ name: o.name, type: tensorType(o.elemType, [{ dimParam: 'N' }]) })),
      },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`onnx: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}
