namespace Ipg.Encoders;

/// <summary>Which code runs <see cref="OnnxSasRecEncoder"/>'s forward pass (<see cref="OnnxSasRecEncoderOptions.Kernel"/>).</summary>
public enum SasRecKernel
{
    /// <summary>ONNX Runtime runs the graph: any model that follows the contract.</summary>
    OnnxRuntime = 0,

    /// <summary>
    /// A managed implementation of the pmixer SASRec forward pass (layouts <c>pmixer-v1</c>, <c>pmixer-v2</c>,
    /// <c>pmixer-v3-prenorm</c>, <c>pmixer-v3-postnorm</c>, with or without <c>ipg.last_position_only</c>)
    /// that reads its weights from the same ONNX file. It computes only what the last position needs and skips
    /// the padding slots, so one user costs a fraction of an ONNX Runtime call. At load the graph is traced to
    /// find the weights and the managed result is checked against ONNX Runtime on a set of fixed histories; a
    /// model it does not recognise or does not reproduce is refused with a <see cref="NotSupportedException"/>
    /// (use <see cref="OnnxRuntime"/> for it). Results agree with ONNX Runtime to about 1e-6 (different
    /// summation order), not bit for bit.
    /// </summary>
    Managed = 1,

    /// <summary>
    /// The fastest verified path (the default): the <see cref="Managed"/> kernel when it recognises the model and
    /// reproduces ONNX Runtime on it at load, otherwise <see cref="OnnxRuntime"/>. Also ONNX Runtime when
    /// <see cref="OnnxSasRecEncoderOptions.ConfigureSession"/> is set, since the application configured that session
    /// (an execution provider, say) to be used. Which one was chosen, and why, is
    /// <see cref="OnnxSasRecEncoder.Kernel"/> and <see cref="OnnxSasRecEncoder.KernelChoice"/>.
    /// </summary>
    Auto = 2,
}
