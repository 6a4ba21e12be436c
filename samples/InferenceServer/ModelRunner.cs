using System;
using Microsoft.ML.OnnxRuntime;

namespace BatchStats.Fast.Demo;

/// <summary>
/// One worker's view of an <see cref="InferenceModel"/>: a contiguous input buffer of <c>maxBatch × F</c> floats that
/// the worker fills row by row, an output buffer, and, made on first use, one pair of tensors over their first n rows
/// for each batch size n, so a batch allocates nothing. Used by one thread at a time.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtValue[]?[] _inputs;
    private readonly OrtValue[]?[] _outputs;
    private readonly string[] _inputName;
    private readonly string[] _outputName;
    private readonly RunOptions _runOptions = new();

    internal ModelRunner(InferenceSession session, InferenceModel model, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _session = session;
        Model = model;
        MaxBatch = maxBatch;
        _input = new float[maxBatch * model.Features];
        _output = new float[maxBatch * model.Outputs];
        _inputs = new OrtValue[]?[maxBatch + 1];
        _outputs = new OrtValue[]?[maxBatch + 1];
        _inputName = [model.InputName];
        _outputName = [model.OutputName];
    }

    /// <summary>The model this runner runs.</summary>
    public InferenceModel Model { get; }

    /// <summary>The largest batch it runs.</summary>
    public int MaxBatch { get; }

    /// <summary>Row <paramref name="index"/> of the input: copy a request's features here.</summary>
    public Span<float> InputRow(int index) => _input.AsSpan(index * Model.Features, Model.Features);

    /// <summary>Row <paramref name="index"/> of the last run's output.</summary>
    public ReadOnlySpan<float> OutputRow(int index) => _output.AsSpan(index * Model.Outputs, Model.Outputs);

    /// <summary>Runs the model over the first <paramref name="rows"/> input rows (one <c>InferenceSession.Run</c>).</summary>
    public void Run(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, MaxBatch);
        OrtValue[] input = _inputs[rows] ??= [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, rows * Model.Features), [rows, Model.Features])];
        OrtValue[] output = _outputs[rows] ??= [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows * Model.Outputs), [rows, Model.Outputs])];
        _session.Run(_runOptions, _inputName, input, _outputName, output);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (OrtValue[]? values in _inputs)
        {
            values?[0].Dispose();
        }

        foreach (OrtValue[]? values in _outputs)
        {
            values?[0].Dispose();
        }

        _runOptions.Dispose();
    }
}
