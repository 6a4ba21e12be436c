using System;
using BatchStats.Fast.Demo;

namespace BatchStats.Fast.Benchmarks;

/// <summary>Model runners with their inputs filled, as the benchmarks hand them to a worker loop.</summary>
internal static class Runners
{
    /// <summary>A runner for batches of <paramref name="batchSize"/> with its rows filled with standard-normal features.</summary>
    public static ModelRunner Filled(InferenceModel model, int batchSize, int seed)
    {
        ModelRunner runner = model.CreateRunner(batchSize);
        var rng = new Random(seed);
        for (int row = 0; row < batchSize; row++)
        {
            Span<float> features = runner.InputRow(row);
            for (int j = 0; j < features.Length; j++)
            {
                features[j] = (float)LoadGenerator.StandardNormal(rng);
            }
        }

        return runner;
    }
}
