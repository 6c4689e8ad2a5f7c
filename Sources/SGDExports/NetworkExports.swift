import CSGDSwift
import SGDCore

// The sgd_network_* functions of sgdswift.h.

/// The network exports' work on a network of element type Element: C views in, core calls, C results out.
private struct TypedNetwork<Element: Scalar> {
    let network: Network<Element>

    func predict(_ x: sgd_matrix, out: UnsafeMutableRawPointer, count: Int64) throws {
        let x: Inputs<Element> = try x.inputs(named: "X")
        try require(count == Int64(x.rows) * Int64(network.outputCount),
                    "out: expected \(x.rows * network.outputCount) scalars, got \(count)")
        let output = Matrix(out.assumingMemoryBound(to: Element.self), rows: x.rows, columns: network.outputCount)
        try network.predict(x, into: output)
    }

    func evaluate(_ x: sgd_matrix, _ y: sgd_targets, _ weights: RowWeights) throws -> (loss: Double, correct: Double?) {
        try network.evaluate(x.inputs(named: "X"), y.targets(named: "Y"), weights: weights.buffer(named: "sample_weight"))
    }

    func gradient(_ x: sgd_matrix, _ y: sgd_targets, _ weights: RowWeights, out: UnsafeMutableRawPointer,
                  count: Int64) throws -> Double {
        try network.gradient(x.inputs(named: "X"), y.targets(named: "Y"),
                             into: out.assumingMemoryBound(to: Element.self), count: Int(count),
                             weights: weights.buffer(named: "sample_weight"))
    }

    func fit(_ optimizer: Optimizer<Element>, _ x: sgd_matrix, _ y: sgd_targets, _ weights: RowWeights,
             _ validationX: sgd_matrix, _ validationY: sgd_targets, _ validationWeights: RowWeights,
             _ options: sgd_fit_options,
             history: UnsafeMutablePointer<sgd_epoch_record>, capacity: Int64,
             gradientNorms: UnsafeMutablePointer<Double>, normsCapacity: Int64,
             progress: sgd_progress_callback?, context: UnsafeMutableRawPointer?) throws -> FitResult {
        let layers = Int64(network.sizes.count - 1)
        try require(capacity >= options.epochs, "history: room for \(capacity) epochs, need \(options.epochs)")
        try require(normsCapacity / layers >= options.epochs,
                    "gradient_norms: room for \(normsCapacity) values, need \(options.epochs) × \(layers)")
        let validation = validationX.data == nil ? nil
            : (x: try validationX.inputs(named: "validation X") as Inputs<Element>,
               y: try validationY.targets(named: "validation Y") as Targets<Element>)
        let trainingOptions = TrainingOptions(
            epochs: Int(options.epochs), batchSize: Int(options.batch_size), shuffle: options.shuffle != 0,
            seed: options.seed, stream: options.stream, l2: options.l2, clipNorm: options.clip_norm,
            normalizeGradient: options.normalize_gradient != 0, reportBatches: options.report_batches != 0,
            reportedLossClip: options.reported_loss_clip, l1: options.l1,
            dropout: try dropoutRates(options.dropout, count: options.dropout_count))
        return try network.fit(x.inputs(named: "X"), y.targets(named: "Y"), validation: validation,
                               options: trainingOptions, optimizer: optimizer,
                               weights: weights.buffer(named: "sample_weight"),
                               validationWeights: validationWeights.buffer(named: "validation sample_weight")) { event in
            var report = sgd_event(kind: SGD_EVENT_TICK, epoch: 0, batch: 0, rows: 0, loss: .nan)
            switch event {
            case .tick(let epoch, let rows):
                (report.epoch, report.rows) = (Int64(epoch), Int64(rows))
            case .batchEnd(let epoch, let batch, let loss):
                (report.kind, report.epoch, report.batch, report.loss) = (SGD_EVENT_BATCH_END, Int64(epoch), Int64(batch), loss)
            case .epochEnd(let epoch, let record):
                (report.kind, report.epoch, report.loss) = (SGD_EVENT_EPOCH_END, Int64(epoch), record.loss)
                history[epoch] = sgd_epoch_record(
                    loss: record.loss, accuracy: record.accuracy ?? .nan,
                    validation_loss: record.validationLoss ?? .nan,
                    validation_accuracy: record.validationAccuracy ?? .nan,
                    learning_rate: record.learningRate, seconds: record.seconds)
                for (l, norm) in record.gradientNorms.enumerated() { gradientNorms[epoch * Int(layers) + l] = norm }
            }
            guard let progress else { return true }
            return progress(context, &report) == 0
        }
    }
}

/// The per-hidden-layer dropout rates of fit options ([] for none); the core validates them.
private func dropoutRates(_ rates: UnsafePointer<Double>?, count: Int64) throws -> [Double] {
    guard let rates else { return [] }
    try require(count >= 0 && count <= 1 << 20, "dropout: \(count) rates")
    return Array(UnsafeBufferPointer(start: rates, count: Int(count)))
}

@_cdecl("sgd_network_create")
public func exportNetworkCreate(
    _ dtype: Int32, _ sizes: UnsafePointer<Int64>, _ layerCount: Int64,
    _ hidden: UnsafePointer<UnsafePointer<CChar>>, _ hiddenCount: Int64, _ output: UnsafePointer<CChar>,
    _ loss: UnsafePointer<CChar>,
    _ initializer: UnsafePointer<CChar>, _ seed: UInt64, _ networkOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    reporting(message, capacity) {
        try require(layerCount >= 0 && layerCount <= 1 << 20, "sizes: \(layerCount) layers")
        try require(hiddenCount >= 0 && hiddenCount <= 1 << 20, "hidden: \(hiddenCount) names")
        let sizes = (0..<Int(layerCount)).map { Int(sizes[$0]) }
        let names = (hidden: (0..<Int(hiddenCount)).map { String(cString: hidden[$0]) }, output: String(cString: output), loss: String(cString: loss),
                     initializer: String(cString: initializer))
        let network: AnyObject
        switch dtype {
        case SGD_FLOAT32:
            network = try Network<Float>(sizes: sizes, hidden: names.hidden, output: names.output, loss: names.loss,
                                         initializer: names.initializer, seed: seed)
        case SGD_FLOAT64:
            network = try Network<Double>(sizes: sizes, hidden: names.hidden, output: names.output, loss: names.loss,
                                          initializer: names.initializer, seed: seed)
        default:
            throw CoreError.invalidArgument("dtype: unknown code \(dtype)")
        }
        networkOut.pointee = retainedHandle(network)
        return SGD_OK
    }
}

@_cdecl("sgd_network_destroy")
public func exportNetworkDestroy(_ handle: UnsafeMutableRawPointer) {
    releaseHandle(handle)
}

@_cdecl("sgd_network_parameters")
public func exportNetworkParameters(
    _ handle: UnsafeMutableRawPointer, _ dataOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ countOut: UnsafeMutablePointer<Int64>
) {
    switch NetworkHandle(handle) {
    case .float(let network):
        (dataOut.pointee, countOut.pointee) = (UnsafeMutableRawPointer(network.parameters.base), Int64(network.parameters.count))
    case .double(let network):
        (dataOut.pointee, countOut.pointee) = (UnsafeMutableRawPointer(network.parameters.base), Int64(network.parameters.count))
    case nil:
        (dataOut.pointee, countOut.pointee) = (nil, 0)
    }
}

@_cdecl("sgd_network_predict")
public func exportNetworkPredict(
    _ handle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ out: UnsafeMutableRawPointer, _ outCount: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withNetwork(handle, message, capacity) { handle in
        switch handle {
        case .float(let network): try TypedNetwork(network: network).predict(x, out: out, count: outCount)
        case .double(let network): try TypedNetwork(network: network).predict(x, out: out, count: outCount)
        }
        return SGD_OK
    }
}

@_cdecl("sgd_network_evaluate")
public func exportNetworkEvaluate(
    _ handle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ weights: UnsafeRawPointer?, _ weightCount: Int64,
    _ lossOut: UnsafeMutablePointer<Double>, _ correctOut: UnsafeMutablePointer<Double>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withNetwork(handle, message, capacity) { handle in
        let rowWeights = RowWeights(data: weights, count: weightCount)
        let result = switch handle {
        case .float(let network): try TypedNetwork(network: network).evaluate(x, y, rowWeights)
        case .double(let network): try TypedNetwork(network: network).evaluate(x, y, rowWeights)
        }
        lossOut.pointee = result.loss
        correctOut.pointee = result.correct ?? -1
        return SGD_OK
    }
}

@_cdecl("sgd_network_gradient")
public func exportNetworkGradient(
    _ handle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ weights: UnsafeRawPointer?, _ weightCount: Int64,
    _ gradientOut: UnsafeMutableRawPointer, _ gradientCount: Int64, _ lossOut: UnsafeMutablePointer<Double>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withNetwork(handle, message, capacity) { handle in
        let rowWeights = RowWeights(data: weights, count: weightCount)
        lossOut.pointee = switch handle {
        case .float(let network):
            try TypedNetwork(network: network).gradient(x, y, rowWeights, out: gradientOut, count: gradientCount)
        case .double(let network):
            try TypedNetwork(network: network).gradient(x, y, rowWeights, out: gradientOut, count: gradientCount)
        }
        return SGD_OK
    }
}

@_cdecl("sgd_network_fit")
public func exportNetworkFit(
    _ handle: UnsafeMutableRawPointer, _ optimizerHandle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ weights: UnsafeRawPointer?, _ weightCount: Int64,
    _ validationX: sgd_matrix, _ validationY: sgd_targets,
    _ validationWeights: UnsafeRawPointer?, _ validationWeightCount: Int64, _ options: sgd_fit_options,
    _ history: UnsafeMutablePointer<sgd_epoch_record>, _ historyCapacity: Int64,
    _ gradientNorms: UnsafeMutablePointer<Double>, _ normsCapacity: Int64,
    _ progress: sgd_progress_callback?, _ context: UnsafeMutableRawPointer?,
    _ epochsDoneOut: UnsafeMutablePointer<Int64>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    epochsDoneOut.pointee = 0
    return withNetwork(handle, message, capacity) { handle in
        let rowWeights = RowWeights(data: weights, count: weightCount)
        let validationRowWeights = RowWeights(data: validationWeights, count: validationWeightCount)
        let result = switch (handle, OptimizerHandle(optimizerHandle)) {
        case (.float(let network), .float(let optimizer)):
            try TypedNetwork(network: network).fit(
                optimizer, x, y, rowWeights, validationX, validationY, validationRowWeights, options, history: history,
                capacity: historyCapacity, gradientNorms: gradientNorms, normsCapacity: normsCapacity,
                progress: progress, context: context)
        case (.double(let network), .double(let optimizer)):
            try TypedNetwork(network: network).fit(
                optimizer, x, y, rowWeights, validationX, validationY, validationRowWeights, options, history: history,
                capacity: historyCapacity, gradientNorms: gradientNorms, normsCapacity: normsCapacity,
                progress: progress, context: context)
        case (_, let optimizer?):
            throw CoreError.invalidArgument("optimizer: its state is \(optimizer.dtypeName), the network's parameters are not")
        case (_, nil):
            throw CoreError.invalidArgument("optimizer: not an optimizer handle")
        }
        epochsDoneOut.pointee = Int64(result.epochs)
        switch result.ending {
        case .completed: return SGD_OK
        case .stopped: return SGD_INTERRUPTED
        case .diverged(let text): return report(CoreError.invalidArgument(text), message, capacity, status: SGD_DIVERGED)
        }
    }
}
