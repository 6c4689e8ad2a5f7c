import CSGDSwift
import SGDCore

// The C ABI of sgdswift.h. These functions convert C views into core types and core errors into
// status codes; they hold no training logic. A handle is an unmanaged Network<Float> or Network<Double>.

/// The network behind a handle, with its element type known at compile time in each branch, so that
/// every call into the generic core is specialised (an opened existential would run it unspecialised,
/// several times slower).
private enum Handle {
    case float(Network<Float>)
    case double(Network<Double>)

    init?(_ pointer: UnsafeMutableRawPointer) {
        switch Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() {
        case let network as Network<Float>: self = .float(network)
        case let network as Network<Double>: self = .double(network)
        default: return nil
        }
    }
}

/// Conversions from the C views to the core's types, for a network of element type Element.
private struct Adapter<Element: Scalar> {
    let network: Network<Element>

    func matrix(_ view: sgd_matrix, name: String) throws -> Matrix<Element> {
        guard let data = view.data, view.rows >= 0, view.columns >= 0 else {
            throw CoreError.invalidArgument("\(name): not a valid matrix (\(view.rows) × \(view.columns))")
        }
        return Matrix(UnsafeMutablePointer(mutating: data.assumingMemoryBound(to: Element.self)),
                      rows: Int(view.rows), columns: Int(view.columns))
    }

    func targets(_ view: sgd_targets, name: String) throws -> Targets<Element> {
        switch view.kind {
        case SGD_TARGETS_DENSE:
            return .dense(try matrix(sgd_matrix(data: view.data, rows: view.rows, columns: view.columns), name: name))
        case SGD_TARGETS_LABELS:
            guard let data = view.data, view.rows >= 0 else {
                throw CoreError.invalidArgument("\(name): not a valid label vector (\(view.rows) rows)")
            }
            return .labels(data.assumingMemoryBound(to: Int.self), rows: Int(view.rows))
        default:
            throw CoreError.invalidArgument("\(name): unknown target kind \(view.kind)")
        }
    }

    func predict(_ x: sgd_matrix, out: UnsafeMutableRawPointer, count: Int64) throws {
        let x = try matrix(x, name: "X")
        try require(count == Int64(x.rows) * Int64(network.outputCount),
                    "out: expected \(x.rows * network.outputCount) scalars, got \(count)")
        let output = Matrix(out.assumingMemoryBound(to: Element.self), rows: x.rows, columns: network.outputCount)
        try network.predict(x, into: output)
    }

    func evaluate(_ x: sgd_matrix, _ y: sgd_targets) throws -> (loss: Double, correct: Int?) {
        try network.evaluate(matrix(x, name: "X"), targets(y, name: "Y"))
    }

    func gradient(_ x: sgd_matrix, _ y: sgd_targets, out: UnsafeMutableRawPointer, count: Int64) throws -> Double {
        try network.gradient(matrix(x, name: "X"), targets(y, name: "Y"),
                             into: out.assumingMemoryBound(to: Element.self), count: Int(count))
    }

    func fit(_ optimizer: Optimizer<Element>, _ x: sgd_matrix, _ y: sgd_targets, _ validationX: sgd_matrix,
             _ validationY: sgd_targets, _ options: sgd_fit_options,
             history: UnsafeMutablePointer<sgd_epoch_record>, capacity: Int64,
             gradientNorms: UnsafeMutablePointer<Double>, normsCapacity: Int64,
             progress: sgd_progress_callback?, context: UnsafeMutableRawPointer?) throws -> FitResult {
        let layers = Int64(network.sizes.count - 1)
        try require(capacity >= options.epochs, "history: room for \(capacity) epochs, need \(options.epochs)")
        try require(normsCapacity / layers >= options.epochs,
                    "gradient_norms: room for \(normsCapacity) values, need \(options.epochs) × \(layers)")
        let validation = validationX.data == nil ? nil
            : (x: try matrix(validationX, name: "validation X"), y: try targets(validationY, name: "validation Y"))
        let trainingOptions = TrainingOptions(
            epochs: Int(options.epochs), batchSize: Int(options.batch_size), shuffle: options.shuffle != 0,
            seed: options.seed, stream: options.stream, l2: options.l2, clipNorm: options.clip_norm,
            normalizeGradient: options.normalize_gradient != 0, reportBatches: options.report_batches != 0)
        return try network.fit(try matrix(x, name: "X"), try targets(y, name: "Y"), validation: validation,
                               options: trainingOptions, optimizer: optimizer) { event in
            var report = sgd_event(kind: SGD_EVENT_TICK, epoch: 0, batch: 0, rows: 0, loss: .nan,
                                   learning_rate: optimizer.learningRate)
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
            let proceed = progress(context, &report) == 0
            // This header's event still carries a rate the callback may change; the optimizer owns it.
            try? optimizer.setLearningRate(report.learning_rate)
            return proceed
        }
    }
}

/// The optimizer behind a handle, with its element type known at compile time in each branch.
private enum OptimizerHandle {
    case float(Optimizer<Float>)
    case double(Optimizer<Double>)

    init?(_ pointer: UnsafeMutableRawPointer) {
        switch Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() {
        case let optimizer as Optimizer<Float>: self = .float(optimizer)
        case let optimizer as Optimizer<Double>: self = .double(optimizer)
        default: return nil
        }
    }

    var dtypeName: String {
        switch self {
        case .float: return "float32"
        case .double: return "float64"
        }
    }
}

/// Runs `body` on the network behind `handle`, turning thrown errors into a status and a message.
private func withNetwork(
    _ handle: UnsafeMutableRawPointer, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64,
    _ body: (Handle) throws -> sgd_status
) -> sgd_status {
    guard let network = Handle(handle) else {
        return report(CoreError.invalidArgument("network: not a network handle"), message, capacity)
    }
    do { return try body(network) } catch { return report(error, message, capacity) }
}

private func report(
    _ error: Error, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64, status: sgd_status? = nil
) -> sgd_status {
    let text = (error as? CoreError)?.description ?? "\(error)"
    let bytes = Array(text.utf8.prefix(max(Int(capacity) - 1, 0)))
    for (i, byte) in bytes.enumerated() { message[i] = CChar(bitPattern: byte) }
    if capacity > 0 { message[bytes.count] = 0 }
    if let status { return status }
    if case .outOfMemory = error as? CoreError { return SGD_OUT_OF_MEMORY }
    return SGD_INVALID_ARGUMENT
}

@_cdecl("sgd_runtime_self_test")
public func exportRuntimeSelfTest() -> Int32 {
    // Protocol conformances are found through runtime metadata that only registers when swiftrt.o is
    // linked in; without it this cast fails silently.
    let error: Any = CoreError.invalidArgument("self-test")
    return (error as? any CustomStringConvertible)?.description == "self-test" ? 1 : 0
}

@_cdecl("sgd_get_thread_count")
public func exportGetThreadCount() -> Int64 { Int64(WorkerPool.shared.threadCount) }

@_cdecl("sgd_set_thread_count")
public func exportSetThreadCount(_ count: Int64) {
    WorkerPool.shared.threadCount = Int(clamping: count)  // the pool clamps to 1...maximumThreads
}

@_cdecl("sgd_max_threads")
public func exportMaxThreads() -> Int64 { Int64(WorkerPool.maximumThreads) }

@_cdecl("sgd_network_create")
public func exportNetworkCreate(
    _ dtype: Int32, _ sizes: UnsafePointer<Int64>, _ layerCount: Int64,
    _ hidden: UnsafePointer<CChar>, _ output: UnsafePointer<CChar>, _ loss: UnsafePointer<CChar>,
    _ initializer: UnsafePointer<CChar>, _ seed: UInt64, _ networkOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    do {
        try require(layerCount >= 0 && layerCount <= 1 << 20, "sizes: \(layerCount) layers")
        let sizes = (0..<Int(layerCount)).map { Int(sizes[$0]) }
        let names = (hidden: String(cString: hidden), output: String(cString: output), loss: String(cString: loss),
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
        networkOut.pointee = Unmanaged.passRetained(network).toOpaque()
        return SGD_OK
    } catch {
        return report(error, message, capacity)
    }
}

@_cdecl("sgd_network_destroy")
public func exportNetworkDestroy(_ handle: UnsafeMutableRawPointer) {
    Unmanaged<AnyObject>.fromOpaque(handle).release()
}

@_cdecl("sgd_network_parameters")
public func exportNetworkParameters(
    _ handle: UnsafeMutableRawPointer, _ dataOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ countOut: UnsafeMutablePointer<Int64>
) {
    switch Handle(handle) {
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
        case .float(let network): try Adapter(network: network).predict(x, out: out, count: outCount)
        case .double(let network): try Adapter(network: network).predict(x, out: out, count: outCount)
        }
        return SGD_OK
    }
}

@_cdecl("sgd_network_evaluate")
public func exportNetworkEvaluate(
    _ handle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ lossOut: UnsafeMutablePointer<Double>, _ correctOut: UnsafeMutablePointer<Int64>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withNetwork(handle, message, capacity) { handle in
        let result = switch handle {
        case .float(let network): try Adapter(network: network).evaluate(x, y)
        case .double(let network): try Adapter(network: network).evaluate(x, y)
        }
        lossOut.pointee = result.loss
        correctOut.pointee = result.correct.map(Int64.init) ?? -1
        return SGD_OK
    }
}

@_cdecl("sgd_network_gradient")
public func exportNetworkGradient(
    _ handle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ gradientOut: UnsafeMutableRawPointer, _ gradientCount: Int64, _ lossOut: UnsafeMutablePointer<Double>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withNetwork(handle, message, capacity) { handle in
        lossOut.pointee = switch handle {
        case .float(let network): try Adapter(network: network).gradient(x, y, out: gradientOut, count: gradientCount)
        case .double(let network): try Adapter(network: network).gradient(x, y, out: gradientOut, count: gradientCount)
        }
        return SGD_OK
    }
}

@_cdecl("sgd_network_fit")
public func exportNetworkFit(
    _ handle: UnsafeMutableRawPointer, _ optimizerHandle: UnsafeMutableRawPointer, _ x: sgd_matrix, _ y: sgd_targets,
    _ validationX: sgd_matrix, _ validationY: sgd_targets, _ options: sgd_fit_options,
    _ history: UnsafeMutablePointer<sgd_epoch_record>, _ historyCapacity: Int64,
    _ gradientNorms: UnsafeMutablePointer<Double>, _ normsCapacity: Int64,
    _ progress: sgd_progress_callback?, _ context: UnsafeMutableRawPointer?,
    _ epochsDoneOut: UnsafeMutablePointer<Int64>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    epochsDoneOut.pointee = 0
    return withNetwork(handle, message, capacity) { handle in
        let result = switch (handle, OptimizerHandle(optimizerHandle)) {
        case (.float(let network), .float(let optimizer)):
            try Adapter(network: network).fit(optimizer, x, y, validationX, validationY, options, history: history,
                                              capacity: historyCapacity, gradientNorms: gradientNorms,
                                              normsCapacity: normsCapacity, progress: progress, context: context)
        case (.double(let network), .double(let optimizer)):
            try Adapter(network: network).fit(optimizer, x, y, validationX, validationY, options, history: history,
                                              capacity: historyCapacity, gradientNorms: gradientNorms,
                                              normsCapacity: normsCapacity, progress: progress, context: context)
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

/// Runs `body` on the optimizer behind `handle`, turning thrown errors into a status and a message.
private func withOptimizer(
    _ handle: UnsafeMutableRawPointer, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64,
    _ body: (OptimizerHandle) throws -> Void
) -> sgd_status {
    guard let optimizer = OptimizerHandle(handle) else {
        return report(CoreError.invalidArgument("optimizer: not an optimizer handle"), message, capacity)
    }
    do { try body(optimizer); return SGD_OK } catch { return report(error, message, capacity) }
}

@_cdecl("sgd_optimizer_create")
public func exportOptimizerCreate(
    _ dtype: Int32, _ settings: sgd_optimizer_settings, _ optimizerOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    do {
        let rule: UpdateRule
        switch settings.rule {
        case SGD_RULE_SGD:
            rule = .sgd(momentum: settings.momentum, dampening: settings.dampening, nesterov: settings.nesterov != 0)
        case SGD_RULE_ADAGRAD:
            rule = .adaGrad(epsilon: settings.epsilon)
        case SGD_RULE_RMSPROP:
            rule = .rmsProp(alpha: settings.alpha, epsilon: settings.epsilon, momentum: settings.momentum)
        case SGD_RULE_ADAM:
            rule = .adam(beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon,
                         amsgrad: settings.amsgrad != 0, decoupledWeightDecay: settings.decoupled_weight_decay != 0)
        default:
            throw CoreError.invalidArgument("rule: unknown code \(settings.rule)")
        }
        let optimizer: AnyObject
        switch dtype {
        case SGD_FLOAT32:
            optimizer = try Optimizer<Float>(rule: rule, learningRate: settings.learning_rate, weightDecay: settings.weight_decay)
        case SGD_FLOAT64:
            optimizer = try Optimizer<Double>(rule: rule, learningRate: settings.learning_rate, weightDecay: settings.weight_decay)
        default:
            throw CoreError.invalidArgument("dtype: unknown code \(dtype)")
        }
        optimizerOut.pointee = Unmanaged.passRetained(optimizer).toOpaque()
        return SGD_OK
    } catch {
        return report(error, message, capacity)
    }
}

@_cdecl("sgd_optimizer_destroy")
public func exportOptimizerDestroy(_ handle: UnsafeMutableRawPointer) {
    Unmanaged<AnyObject>.fromOpaque(handle).release()
}

@_cdecl("sgd_optimizer_info")
public func exportOptimizerInfo(
    _ handle: UnsafeMutableRawPointer, _ countOut: UnsafeMutablePointer<Int64>, _ stepsOut: UnsafeMutablePointer<Int64>,
    _ stateCountOut: UnsafeMutablePointer<Int64>
) {
    switch OptimizerHandle(handle) {
    case .float(let optimizer):
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (Int64(optimizer.count), Int64(optimizer.steps), Int64(optimizer.state.count))
    case .double(let optimizer):
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (Int64(optimizer.count), Int64(optimizer.steps), Int64(optimizer.state.count))
    case nil:
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (0, 0, 0)
    }
}

@_cdecl("sgd_optimizer_set_learning_rate")
public func exportOptimizerSetLearningRate(
    _ handle: UnsafeMutableRawPointer, _ learningRate: Double, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.setLearningRate(learningRate)
        case .double(let optimizer): try optimizer.setLearningRate(learningRate)
        }
    }
}

@_cdecl("sgd_optimizer_reset")
public func exportOptimizerReset(
    _ handle: UnsafeMutableRawPointer, _ count: Int64, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.reset(count: Int(count))
        case .double(let optimizer): try optimizer.reset(count: Int(count))
        }
    }
}

/// The (parameters, gradient, count) segments of a step, typed for the optimizer's element type.
private func segments<Element>(
    _ parameters: UnsafePointer<UnsafeMutableRawPointer>, _ gradients: UnsafePointer<UnsafeRawPointer>,
    _ counts: UnsafePointer<Int64>, _ arrays: Int64, as: Element.Type
) throws -> [(parameters: UnsafeMutablePointer<Element>, gradient: UnsafePointer<Element>, count: Int)] {
    try require(arrays >= 0, "parameters: \(arrays) arrays")
    return try (0..<Int(arrays)).map { i in
        try require(counts[i] >= 0, "parameters[\(i)]: \(counts[i]) values")
        return (parameters[i].assumingMemoryBound(to: Element.self), gradients[i].assumingMemoryBound(to: Element.self),
                Int(counts[i]))
    }
}

@_cdecl("sgd_optimizer_step")
public func exportOptimizerStep(
    _ handle: UnsafeMutableRawPointer, _ parameters: UnsafePointer<UnsafeMutableRawPointer>,
    _ gradients: UnsafePointer<UnsafeRawPointer>, _ counts: UnsafePointer<Int64>, _ arrays: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.step(segments(parameters, gradients, counts, arrays, as: Float.self))
        case .double(let optimizer): try optimizer.step(segments(parameters, gradients, counts, arrays, as: Double.self))
        }
    }
}

@_cdecl("sgd_optimizer_get_state")
public func exportOptimizerGetState(
    _ handle: UnsafeMutableRawPointer, _ out: UnsafeMutableRawPointer, _ outCount: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        func copy<Element>(_ state: Buffer<Element>) throws {
            try require(outCount == state.count, "out: expected \(state.count) values, got \(outCount)")
            out.assumingMemoryBound(to: Element.self).update(from: state.base, count: state.count)
        }
        switch optimizer {
        case .float(let optimizer): try copy(optimizer.state)
        case .double(let optimizer): try copy(optimizer.state)
        }
    }
}

@_cdecl("sgd_optimizer_restore")
public func exportOptimizerRestore(
    _ handle: UnsafeMutableRawPointer, _ count: Int64, _ steps: Int64, _ values: UnsafeRawPointer, _ valueCount: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer):
            try optimizer.restore(count: Int(count), steps: Int(steps), values: values.assumingMemoryBound(to: Float.self),
                                  valueCount: Int(valueCount))
        case .double(let optimizer):
            try optimizer.restore(count: Int(count), steps: Int(steps), values: values.assumingMemoryBound(to: Double.self),
                                  valueCount: Int(valueCount))
        }
    }
}
