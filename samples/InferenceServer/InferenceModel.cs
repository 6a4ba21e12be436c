using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace BatchStats.Fast.Demo;

/// <summary>
/// An ONNX model with one float input <c>[N, F]</c> (N dynamic) and a float output <c>[N, C]</c>, loaded into one
/// <see cref="InferenceSession"/> that every worker shares (<see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue})"/>
/// is safe to call from several threads). The session runs each batch on the calling thread (one intra-op thread):
/// the workers are the parallelism, as in a server that runs one batch per core.
/// </summary>
public sealed class InferenceModel : IDisposable
{
    private readonly InferenceSession _session;

    private InferenceModel(string path, InferenceSession session, string input, int features, string output, int outputs)
    {
        Path = path;
        _session = session;
        InputName = input;
        Features = features;
        OutputName = output;
        Outputs = outputs;
    }

    /// <summary>The file the model was loaded from.</summary>
    public string Path { get; }

    /// <summary>The input's name (the committed model: <c>features</c>).</summary>
    public string InputName { get; }

    /// <summary>F: floats per request (the committed model: 64).</summary>
    public int Features { get; }

    /// <summary>The output's name (the committed model: <c>scores</c>).</summary>
    public string OutputName { get; }

    /// <summary>C: floats out per request (the committed model: 10 class scores).</summary>
    public int Outputs { get; }

    /// <summary>The committed model, next to the demo's binaries.</summary>
    public static string DefaultPath => System.IO.Path.Combine(AppContext.BaseDirectory, "model", "mlp.onnx");

    /// <summary>Loads and checks a model.</summary>
    /// <exception cref="ArgumentException">The file is missing, is not an ONNX model, or has other inputs or outputs than one float <c>[N, F]</c> in and one float <c>[N, C]</c> out.</exception>
    public static InferenceModel Load(string path)
    {
        if (!System.IO.File.Exists(path))
        {
            throw new ArgumentException($"--model: no file at {path}");
        }

        var options = new SessionOptions
        {
            IntraOpNumThreads = 1, // one batch runs on its worker's thread; the workers are the parallelism
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException($"--model: {path} is not a model ONNX Runtime can load: {ex.Message}");
        }
        finally
        {
            options.Dispose();
        }

        try
        {
            (string input, int features) = Shape(path, session.InputMetadata, "input");
            (string output, int outputs) = Shape(path, session.OutputMetadata, "output");
            return new InferenceModel(path, session, input, features, output, outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>A runner for one worker: its own input and output buffers for batches of up to <paramref name="maxBatch"/>.</summary>
    public ModelRunner CreateRunner(int maxBatch) => new(_session, this, maxBatch);

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();

    private static (string Name, int Width) Shape(string path, IReadOnlyDictionary<string, NodeMetadata> nodes, string what)
    {
        string Found() => string.Join(", ", nodes.Select(n => $"{n.Key} {n.Value.ElementDataType} [{string.Join(", ", n.Value.Dimensions)}]"));
        if (nodes.Count != 1)
        {
            throw new ArgumentException($"--model: {path} has {nodes.Count} {what}s ({Found()}); the demo serves models with one float {what} of shape [N, width]");
        }

        (string name, NodeMetadata node) = nodes.First();
        if (!node.IsTensor || node.ElementDataType != TensorElementType.Float || node.Dimensions.Length != 2 || node.Dimensions[0] != -1 || node.Dimensions[1] <= 0)
        {
            throw new ArgumentException($"--model: {path} has {what} {Found()}; the demo serves models with one float {what} of shape [N, width], N dynamic and width fixed");
        }

        return (name, node.Dimensions[1]);
    }
}
