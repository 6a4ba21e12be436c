using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace BatchStats.Fast.Demo.Tests;

/// <summary>
/// The committed model (samples/InferenceServer/model/mlp.onnx): its shapes, ONNX Runtime's output against the numpy
/// forward pass that make_model.py wrote next to it (golden.json), and the demo's refusal of models of other shapes.
/// </summary>
public sealed class InferenceModelTests
{
    private static string ModelFile(string name) => Path.Combine(AppContext.BaseDirectory, "model", name);

    [Fact]
    public void CommittedModel_HasTheDocumentedShape()
    {
        using InferenceModel model = InferenceModel.Load(InferenceModel.DefaultPath);
        Assert.Equal(ModelFile("mlp.onnx"), model.Path);
        Assert.Equal("features", model.InputName);
        Assert.Equal(64, model.Features);
        Assert.Equal("scores", model.OutputName);
        Assert.Equal(10, model.Outputs);
        Assert.InRange(new FileInfo(model.Path).Length, 1, 2_000_000); // small enough to commit
    }

    [Fact]
    public void CommittedModel_OutputMatchesTheNumpyForwardPass()
    {
        using JsonDocument golden = JsonDocument.Parse(File.ReadAllText(ModelFile("golden.json")));
        int[] inputShape = golden.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] input = golden.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        double[] expected = golden.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using InferenceModel model = InferenceModel.Load(InferenceModel.DefaultPath);
        Assert.Equal([5, model.Features], inputShape);
        Assert.Equal(5 * model.Outputs, expected.Length);

        using ModelRunner runner = model.CreateRunner(maxBatch: 8); // larger than the batch: runs over the first rows only
        for (int row = 0; row < 5; row++)
        {
            input.AsSpan(row * model.Features, model.Features).CopyTo(runner.InputRow(row));
        }

        runner.InputRow(5).Fill(float.NaN); // a row beyond the batch must not reach the output
        runner.Run(5);
        for (int row = 0; row < 5; row++)
        {
            ReadOnlySpan<float> scores = runner.OutputRow(row);
            double sum = 0;
            for (int c = 0; c < model.Outputs; c++)
            {
                Assert.True(Math.Abs(scores[c] - expected[(row * model.Outputs) + c]) <= 1e-5, $"row {row} class {c}: {scores[c]} vs numpy {expected[(row * model.Outputs) + c]}");
                sum += scores[c];
            }

            Assert.Equal(1.0, sum, 1e-5); // softmax
        }

        Assert.Contains(expected, p => p > 0.2); // not a flat output: the weights and the input matter
    }

    [Theory]
    [InlineData("rank3_input.onnx", "one float input of shape [N, width]")]
    [InlineData("two_inputs.onnx", "has 2 inputs")]
    [InlineData("fixed_batch.onnx", "N dynamic")]
    public void Load_ModelOfAnotherShape_ClearMessage(string file, string expected)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", file);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => InferenceModel.Load(path));
        Assert.StartsWith("--model: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingOrNotAModel_ClearMessage()
    {
        string missing = Path.Combine(AppContext.BaseDirectory, "no-such-model.onnx");
        Assert.Equal($"--model: no file at {missing}", Assert.Throws<ArgumentException>(() => InferenceModel.Load(missing)).Message);
        string notModel = ModelFile("golden.json");
        Assert.StartsWith($"--model: {notModel} is not a model ONNX Runtime can load", Assert.Throws<ArgumentException>(() => InferenceModel.Load(notModel)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runner_RejectsRowCountsOutsideItsBuffers()
    {
        using InferenceModel model = InferenceModel.Load(InferenceModel.DefaultPath);
        using ModelRunner runner = model.CreateRunner(maxBatch: 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateRunner(0));
    }
}
